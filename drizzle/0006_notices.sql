CREATE TABLE `notices` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`kind` enum('due_soon','overdue') NOT NULL,
	`borrow_id` bigint unsigned,
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `notices_id` PRIMARY KEY(`id`),
	CONSTRAINT `notices_kind_borrow_unique` UNIQUE(`kind`,`borrow_id`),
	CONSTRAINT `notices_borrow_kinds_name_a_borrow` CHECK(`notices`.`kind` not in ('due_soon', 'overdue') or `notices`.`borrow_id` is not null)
);
--> statement-breakpoint
ALTER TABLE `borrows` DROP CONSTRAINT `borrows_due_after_borrowed`;--> statement-breakpoint
ALTER TABLE `notices` ADD CONSTRAINT `notices_borrow_id_borrows_id_fk` FOREIGN KEY (`borrow_id`) REFERENCES `borrows`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `borrows` ADD CONSTRAINT `borrows_due_after_borrowed` CHECK (`borrows`.`due_at` >= `borrows`.`borrowed_at`);--> statement-breakpoint
CREATE INDEX `borrows_open_due_idx` ON `borrows` (`returned_at`,`due_at`);