-- Adding columns to `books` may rebuild it, and with it the full-text index: keep it stopword-free.
SET SESSION innodb_ft_enable_stopword = OFF;--> statement-breakpoint
ALTER TABLE `users` ADD `borrow_count` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `books` ADD `borrow_count` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `books` ADD `returned_count` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `books` ADD `returned_seconds` bigint unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
SET SESSION innodb_ft_enable_stopword = DEFAULT;--> statement-breakpoint
UPDATE `users` JOIN (SELECT `user_id`, count(*) AS `made` FROM `borrows` GROUP BY `user_id`) AS `totals` ON `totals`.`user_id` = `users`.`id`
SET `users`.`borrow_count` = `totals`.`made`;--> statement-breakpoint
UPDATE `books` JOIN (
  SELECT `book_id`, count(*) AS `made`, count(`returned_at`) AS `returned`,
    coalesce(sum(timestampdiff(SECOND, `borrowed_at`, `returned_at`)), 0) AS `seconds`
  FROM `borrows` GROUP BY `book_id`
) AS `totals` ON `totals`.`book_id` = `books`.`id`
SET `books`.`borrow_count` = `totals`.`made`, `books`.`returned_count` = `totals`.`returned`, `books`.`returned_seconds` = `totals`.`seconds`;--> statement-breakpoint
CREATE INDEX `users_borrow_count_idx` ON `users` (`borrow_count` desc,`id`);--> statement-breakpoint
CREATE INDEX `books_borrow_count_idx` ON `books` (`borrow_count` desc,`id`,`returned_count`,`returned_seconds`);--> statement-breakpoint
-- The totals move with every write of a borrow, in its statement's transaction: a borrow counts once
-- for its user and its book; a returned one adds its whole seconds (as TIMESTAMPDIFF counts them) to
-- its book. A return touches no user row (it locks the borrow, then the book, as before).
CREATE TRIGGER `borrows_totals_on_insert` AFTER INSERT ON `borrows` FOR EACH ROW
BEGIN
  UPDATE `users` SET `borrow_count` = `borrow_count` + 1 WHERE `id` = NEW.`user_id`;
  UPDATE `books` SET `borrow_count` = `borrow_count` + 1,
    `returned_count` = `returned_count` + (NEW.`returned_at` IS NOT NULL),
    `returned_seconds` = `returned_seconds` + coalesce(timestampdiff(SECOND, NEW.`borrowed_at`, NEW.`returned_at`), 0)
  WHERE `id` = NEW.`book_id`;
END;--> statement-breakpoint
CREATE TRIGGER `borrows_totals_on_update` AFTER UPDATE ON `borrows` FOR EACH ROW
BEGIN
  IF NOT (NEW.`user_id` <=> OLD.`user_id`) THEN
    UPDATE `users` SET `borrow_count` = `borrow_count` - 1 WHERE `id` = OLD.`user_id`;
    UPDATE `users` SET `borrow_count` = `borrow_count` + 1 WHERE `id` = NEW.`user_id`;
  END IF;
  IF NOT (NEW.`book_id` <=> OLD.`book_id` AND NEW.`borrowed_at` <=> OLD.`borrowed_at` AND NEW.`returned_at` <=> OLD.`returned_at`) THEN
    UPDATE `books` SET `borrow_count` = `borrow_count` - 1,
      `returned_count` = `returned_count` - (OLD.`returned_at` IS NOT NULL),
      `returned_seconds` = `returned_seconds` - coalesce(timestampdiff(SECOND, OLD.`borrowed_at`, OLD.`returned_at`), 0)
    WHERE `id` = OLD.`book_id`;
    UPDATE `books` SET `borrow_count` = `borrow_count` + 1,
      `returned_count` = `returned_count` + (NEW.`returned_at` IS NOT NULL),
      `returned_seconds` = `returned_seconds` + coalesce(timestampdiff(SECOND, NEW.`borrowed_at`, NEW.`returned_at`), 0)
    WHERE `id` = NEW.`book_id`;
  END IF;
END;--> statement-breakpoint
CREATE TRIGGER `borrows_totals_on_delete` AFTER DELETE ON `borrows` FOR EACH ROW
BEGIN
  UPDATE `users` SET `borrow_count` = `borrow_count` - 1 WHERE `id` = OLD.`user_id`;
  UPDATE `books` SET `borrow_count` = `borrow_count` - 1,
    `returned_count` = `returned_count` - (OLD.`returned_at` IS NOT NULL),
    `returned_seconds` = `returned_seconds` - coalesce(timestampdiff(SECOND, OLD.`borrowed_at`, OLD.`returned_at`), 0)
  WHERE `id` = OLD.`book_id`;
END;--> statement-breakpoint
CREATE TABLE `book_totals` (
	`id` tinyint unsigned NOT NULL,
	`active_books` int unsigned NOT NULL DEFAULT 0,
	CONSTRAINT `book_totals_id` PRIMARY KEY(`id`),
	CONSTRAINT `book_totals_one_row` CHECK(`book_totals`.`id` = 1)
);
--> statement-breakpoint
INSERT INTO `book_totals` (`id`, `active_books`) SELECT 1, count(*) FROM `books` WHERE `deleted_at` IS NULL;--> statement-breakpoint
-- Upserts, so that a truncated `book_totals` (the seed empties every table) starts again from zero.
CREATE TRIGGER `books_active_total_on_insert` AFTER INSERT ON `books` FOR EACH ROW
  IF NEW.`deleted_at` IS NULL THEN
    INSERT INTO `book_totals` (`id`, `active_books`) VALUES (1, 1) ON DUPLICATE KEY UPDATE `active_books` = `active_books` + 1;
  END IF;--> statement-breakpoint
CREATE TRIGGER `books_active_total_on_update` AFTER UPDATE ON `books` FOR EACH ROW
  IF (NEW.`deleted_at` IS NULL) <> (OLD.`deleted_at` IS NULL) THEN
    INSERT INTO `book_totals` (`id`, `active_books`) VALUES (1, NEW.`deleted_at` IS NULL)
      ON DUPLICATE KEY UPDATE `active_books` = `active_books` + IF(NEW.`deleted_at` IS NULL, 1, -1);
  END IF;--> statement-breakpoint
CREATE TRIGGER `books_active_total_on_delete` AFTER DELETE ON `books` FOR EACH ROW
  IF OLD.`deleted_at` IS NULL THEN
    UPDATE `book_totals` SET `active_books` = `active_books` - 1 WHERE `id` = 1;
  END IF;
