ALTER TABLE `users` ADD `renewal_count` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `users` JOIN (SELECT `user_id`, sum(`renewal_count`) AS `renewed` FROM `borrows` GROUP BY `user_id`) AS `totals` ON `totals`.`user_id` = `users`.`id`
SET `users`.`renewal_count` = `totals`.`renewed`;--> statement-breakpoint
-- Beside 0004's triggers (an event may have several): whatever writes a borrow's renewal count moves
-- its user's total in the same statement's transaction. A renewal locks its borrow, then its user.
CREATE TRIGGER `borrows_renewals_on_insert` AFTER INSERT ON `borrows` FOR EACH ROW
  IF NEW.`renewal_count` > 0 THEN
    UPDATE `users` SET `renewal_count` = `renewal_count` + NEW.`renewal_count` WHERE `id` = NEW.`user_id`;
  END IF;--> statement-breakpoint
CREATE TRIGGER `borrows_renewals_on_update` AFTER UPDATE ON `borrows` FOR EACH ROW
  IF NOT (NEW.`renewal_count` <=> OLD.`renewal_count` AND NEW.`user_id` <=> OLD.`user_id`) THEN
    UPDATE `users` SET `renewal_count` = `renewal_count` - OLD.`renewal_count` WHERE `id` = OLD.`user_id`;
    UPDATE `users` SET `renewal_count` = `renewal_count` + NEW.`renewal_count` WHERE `id` = NEW.`user_id`;
  END IF;--> statement-breakpoint
CREATE TRIGGER `borrows_renewals_on_delete` AFTER DELETE ON `borrows` FOR EACH ROW
  IF OLD.`renewal_count` > 0 THEN
    UPDATE `users` SET `renewal_count` = `renewal_count` - OLD.`renewal_count` WHERE `id` = OLD.`user_id`;
  END IF;
