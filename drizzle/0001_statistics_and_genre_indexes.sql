DROP INDEX `books_deleted_genre_idx` ON `books`;--> statement-breakpoint
DROP INDEX `borrows_borrowed_idx` ON `borrows`;--> statement-breakpoint
DROP INDEX `borrows_returned_idx` ON `borrows`;--> statement-breakpoint
CREATE INDEX `books_deleted_genre_rating_idx` ON `books` (`deleted_at`,`genre`,`average_rating`);--> statement-breakpoint
CREATE INDEX `borrows_borrowed_book_user_idx` ON `borrows` (`borrowed_at`,`book_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `borrows_returned_borrowed_idx` ON `borrows` (`returned_at`,`borrowed_at`);