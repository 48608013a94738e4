CREATE TABLE `holds` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`book_id` bigint unsigned NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`status` enum('waiting','ready','fulfilled','cancelled','expired') NOT NULL DEFAULT 'waiting',
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	`ready_at` datetime(3),
	`pickup_by` datetime(3),
	`ended_at` datetime(3),
	`active_book_id` bigint unsigned GENERATED ALWAYS AS (if(status in ('waiting', 'ready'), book_id, null)) STORED,
	CONSTRAINT `holds_id` PRIMARY KEY(`id`),
	CONSTRAINT `holds_one_active_per_user_book` UNIQUE(`user_id`,`active_book_id`),
	CONSTRAINT `holds_ready_at_matches_status` CHECK(case `holds`.`status` when 'waiting' then `holds`.`ready_at` is null when 'cancelled' then true else `holds`.`ready_at` is not null end),
	CONSTRAINT `holds_pickup_with_ready` CHECK((`holds`.`ready_at` is null) = (`holds`.`pickup_by` is null)),
	CONSTRAINT `holds_ended_iff_final` CHECK((`holds`.`ended_at` is null) = (`holds`.`status` in ('waiting', 'ready')))
);
--> statement-breakpoint
-- Changing `books` (columns, its CHECK) may rebuild it, and with it the full-text index: keep it
-- stopword-free until the last change of `books` below.
SET SESSION innodb_ft_enable_stopword = OFF;--> statement-breakpoint
ALTER TABLE `books` DROP CONSTRAINT `books_copies_balance`;--> statement-breakpoint
ALTER TABLE `books` ADD `held_copies` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `books` ADD `hold_count` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `borrows` ADD `renewal_count` tinyint unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `holds` ADD CONSTRAINT `holds_book_id_books_id_fk` FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `holds` ADD CONSTRAINT `holds_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `holds_book_status_idx` ON `holds` (`book_id`,`status`);--> statement-breakpoint
CREATE INDEX `holds_user_status_created_idx` ON `holds` (`user_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `holds_user_created_idx` ON `holds` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `holds_status_pickup_idx` ON `holds` (`status`,`pickup_by`);--> statement-breakpoint
CREATE INDEX `holds_created_idx` ON `holds` (`created_at`);--> statement-breakpoint
ALTER TABLE `books` ADD CONSTRAINT `books_copies_balance` CHECK (`books`.`available_copies` + `books`.`borrowed_copies` + `books`.`held_copies` + `books`.`set_aside_copies` = `books`.`total_copies`);--> statement-breakpoint
SET SESSION innodb_ft_enable_stopword = DEFAULT;--> statement-breakpoint
-- A book's `hold_count` (its waiting holds) moves with every write of a hold, in its statement's
-- transaction, whatever writes it; the writers lock the book's row first, so this adds no lock.
CREATE TRIGGER `holds_count_on_insert` AFTER INSERT ON `holds` FOR EACH ROW
  IF NEW.`status` = 'waiting' THEN
    UPDATE `books` SET `hold_count` = `hold_count` + 1 WHERE `id` = NEW.`book_id`;
  END IF;--> statement-breakpoint
CREATE TRIGGER `holds_count_on_update` AFTER UPDATE ON `holds` FOR EACH ROW
BEGIN
  IF OLD.`status` = 'waiting' AND NOT (NEW.`status` = 'waiting' AND NEW.`book_id` <=> OLD.`book_id`) THEN
    UPDATE `books` SET `hold_count` = `hold_count` - 1 WHERE `id` = OLD.`book_id`;
  END IF;
  IF NEW.`status` = 'waiting' AND NOT (OLD.`status` = 'waiting' AND NEW.`book_id` <=> OLD.`book_id`) THEN
    UPDATE `books` SET `hold_count` = `hold_count` + 1 WHERE `id` = NEW.`book_id`;
  END IF;
END;--> statement-breakpoint
CREATE TRIGGER `holds_count_on_delete` AFTER DELETE ON `holds` FOR EACH ROW
  IF OLD.`status` = 'waiting' THEN
    UPDATE `books` SET `hold_count` = `hold_count` - 1 WHERE `id` = OLD.`book_id`;
  END IF;
