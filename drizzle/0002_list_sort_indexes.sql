DROP INDEX `books_deleted_created_idx` ON `books`;--> statement-breakpoint
DROP INDEX `books_deleted_title_idx` ON `books`;--> statement-breakpoint
DROP INDEX `books_deleted_year_idx` ON `books`;--> statement-breakpoint
DROP INDEX `books_deleted_rating_idx` ON `books`;--> statement-breakpoint
ALTER TABLE `books` ADD `rating_asc_key` decimal(3,2) GENERATED ALWAYS AS (coalesce(average_rating, 9.99)) STORED;--> statement-breakpoint
CREATE INDEX `books_deleted_rating_asc_idx` ON `books` (`deleted_at`,`rating_asc_key`,`id`);--> statement-breakpoint
CREATE INDEX `books_owner_title_idx` ON `books` (`owner_id`,`deleted_at`,`title`,`id`);--> statement-breakpoint
DROP INDEX `books_owner_idx` ON `books`;--> statement-breakpoint
CREATE INDEX `books_owner_year_idx` ON `books` (`owner_id`,`deleted_at`,`publication_year`,`id`);--> statement-breakpoint
CREATE INDEX `books_owner_rating_idx` ON `books` (`owner_id`,`deleted_at`,`average_rating`,`id`);--> statement-breakpoint
CREATE INDEX `books_owner_rating_asc_idx` ON `books` (`owner_id`,`deleted_at`,`rating_asc_key`,`id`);--> statement-breakpoint
CREATE INDEX `books_deleted_created_idx` ON `books` (`deleted_at`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `books_deleted_title_idx` ON `books` (`deleted_at`,`title`,`id`);--> statement-breakpoint
CREATE INDEX `books_deleted_year_idx` ON `books` (`deleted_at`,`publication_year`,`id`);--> statement-breakpoint
CREATE INDEX `books_deleted_rating_idx` ON `books` (`deleted_at`,`average_rating`,`id`);--> statement-breakpoint
CREATE INDEX `books_owner_idx` ON `books` (`owner_id`,`deleted_at`,`created_at`,`id`);