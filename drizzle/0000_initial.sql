CREATE TABLE `users` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`email` varchar(254) NOT NULL,
	`username` varchar(50),
	`password_hash` varchar(60) NOT NULL,
	`role` enum('user','admin') NOT NULL DEFAULT 'user',
	`email_verified_at` datetime(3),
	`token_version` int unsigned NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	`updated_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `users_id` PRIMARY KEY(`id`),
	CONSTRAINT `users_email_unique` UNIQUE(`email`),
	CONSTRAINT `users_username_unique` UNIQUE(`username`),
	CONSTRAINT `users_email_lowercase` CHECK(cast(`users`.`email` as binary) = cast(lower(`users`.`email`) as binary))
);
--> statement-breakpoint
CREATE TABLE `email_tokens` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`purpose` enum('verify_email','password_reset','change_password') NOT NULL,
	`token_hash` char(64) NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	`used_at` datetime(3),
	`failed_attempts` tinyint unsigned NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `email_tokens_id` PRIMARY KEY(`id`),
	CONSTRAINT `email_tokens_hash_unique` UNIQUE(`token_hash`)
);
--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`jti` char(36) NOT NULL,
	`family_id` char(36) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	`spent_at` datetime(3),
	`revoked_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `refresh_tokens_id` PRIMARY KEY(`id`),
	CONSTRAINT `refresh_tokens_jti_unique` UNIQUE(`jti`)
);
--> statement-breakpoint
CREATE TABLE `revoked_access_tokens` (
	`jti` char(36) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `revoked_access_tokens_jti` PRIMARY KEY(`jti`)
);
--> statement-breakpoint
CREATE TABLE `authors` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`name` varchar(200) NOT NULL,
	`birthdate` date,
	`nationality` varchar(100),
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	`updated_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `authors_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `books` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`title` varchar(255) NOT NULL,
	`isbn` varchar(13) NOT NULL,
	`genre` varchar(100),
	`publication_year` smallint NOT NULL,
	`publication_date` date,
	`author_id` bigint unsigned NOT NULL,
	`owner_id` bigint unsigned NOT NULL,
	`total_copies` int unsigned NOT NULL DEFAULT 1,
	`available_copies` int unsigned NOT NULL DEFAULT 1,
	`borrowed_copies` int unsigned NOT NULL DEFAULT 0,
	`set_aside_copies` int unsigned NOT NULL DEFAULT 0,
	`rating_sum` int unsigned NOT NULL DEFAULT 0,
	`review_count` int unsigned NOT NULL DEFAULT 0,
	`average_rating` decimal(3,2) GENERATED ALWAYS AS (if(review_count = 0, null, round(rating_sum / review_count, 2))) STORED,
	`deleted_at` datetime(3),
	`active_isbn` varchar(13) GENERATED ALWAYS AS (if(deleted_at is null, isbn, null)) STORED,
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	`updated_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `books_id` PRIMARY KEY(`id`),
	CONSTRAINT `books_active_isbn_unique` UNIQUE(`active_isbn`),
	CONSTRAINT `books_copies_balance` CHECK(`books`.`available_copies` + `books`.`borrowed_copies` + `books`.`set_aside_copies` = `books`.`total_copies`),
	CONSTRAINT `books_review_count_consistent` CHECK(`books`.`rating_sum` between `books`.`review_count` and 5 * `books`.`review_count`),
	CONSTRAINT `books_isbn_digits` CHECK(`books`.`isbn` regexp '^97[89][0-9]{10}$'),
	CONSTRAINT `books_publication_year_range` CHECK(`books`.`publication_year` between -3000 and 9999)
);
--> statement-breakpoint
CREATE TABLE `favorites` (
	`user_id` bigint unsigned NOT NULL,
	`book_id` bigint unsigned NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `favorites_pk` PRIMARY KEY(`user_id`,`book_id`)
);
--> statement-breakpoint
CREATE TABLE `reviews` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`book_id` bigint unsigned NOT NULL,
	`rating` tinyint unsigned NOT NULL,
	`comment` varchar(2000),
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	`updated_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `reviews_id` PRIMARY KEY(`id`),
	CONSTRAINT `reviews_user_book_unique` UNIQUE(`user_id`,`book_id`),
	CONSTRAINT `reviews_rating_range` CHECK(`reviews`.`rating` between 1 and 5)
);
--> statement-breakpoint
CREATE TABLE `borrows` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`book_id` bigint unsigned NOT NULL,
	`borrowed_at` datetime(3) NOT NULL,
	`due_at` datetime(3) NOT NULL,
	`returned_at` datetime(3),
	`open_book_id` bigint unsigned GENERATED ALWAYS AS (if(returned_at is null, book_id, null)) STORED,
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `borrows_id` PRIMARY KEY(`id`),
	CONSTRAINT `borrows_one_open_per_user_book` UNIQUE(`user_id`,`open_book_id`),
	CONSTRAINT `borrows_due_after_borrowed` CHECK(`borrows`.`due_at` > `borrows`.`borrowed_at`),
	CONSTRAINT `borrows_returned_after_borrowed` CHECK(`borrows`.`returned_at` is null or `borrows`.`returned_at` >= `borrows`.`borrowed_at`)
);
--> statement-breakpoint
CREATE TABLE `files` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`owner_id` bigint unsigned NOT NULL,
	`book_id` bigint unsigned,
	`filename` varchar(255) NOT NULL,
	`content_type` varchar(100) NOT NULL DEFAULT 'application/pdf',
	`size` bigint unsigned NOT NULL,
	`sha256` char(64) NOT NULL,
	`storage_key` char(36) NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	`updated_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `files_id` PRIMARY KEY(`id`),
	CONSTRAINT `files_storage_key_unique` UNIQUE(`storage_key`),
	CONSTRAINT `files_size_positive` CHECK(`files`.`size` > 0)
);
--> statement-breakpoint
ALTER TABLE `email_tokens` ADD CONSTRAINT `email_tokens_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD CONSTRAINT `refresh_tokens_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `revoked_access_tokens` ADD CONSTRAINT `revoked_access_tokens_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `books` ADD CONSTRAINT `books_author_id_authors_id_fk` FOREIGN KEY (`author_id`) REFERENCES `authors`(`id`) ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `books` ADD CONSTRAINT `books_owner_id_users_id_fk` FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `favorites` ADD CONSTRAINT `favorites_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `favorites` ADD CONSTRAINT `favorites_book_id_books_id_fk` FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `reviews` ADD CONSTRAINT `reviews_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `reviews` ADD CONSTRAINT `reviews_book_id_books_id_fk` FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `borrows` ADD CONSTRAINT `borrows_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `borrows` ADD CONSTRAINT `borrows_book_id_books_id_fk` FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `files` ADD CONSTRAINT `files_owner_id_users_id_fk` FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `files` ADD CONSTRAINT `files_book_id_books_id_fk` FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `email_tokens_user_purpose_idx` ON `email_tokens` (`user_id`,`purpose`);--> statement-breakpoint
CREATE INDEX `email_tokens_expires_idx` ON `email_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_family_idx` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_idx` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_expires_idx` ON `refresh_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `revoked_access_tokens_expires_idx` ON `revoked_access_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `authors_name_idx` ON `authors` (`name`);--> statement-breakpoint
CREATE INDEX `books_deleted_created_idx` ON `books` (`deleted_at`,`created_at`);--> statement-breakpoint
CREATE INDEX `books_deleted_title_idx` ON `books` (`deleted_at`,`title`);--> statement-breakpoint
CREATE INDEX `books_deleted_year_idx` ON `books` (`deleted_at`,`publication_year`);--> statement-breakpoint
CREATE INDEX `books_deleted_rating_idx` ON `books` (`deleted_at`,`average_rating`);--> statement-breakpoint
CREATE INDEX `books_deleted_genre_idx` ON `books` (`deleted_at`,`genre`);--> statement-breakpoint
CREATE INDEX `books_author_idx` ON `books` (`author_id`,`deleted_at`);--> statement-breakpoint
CREATE INDEX `books_owner_idx` ON `books` (`owner_id`,`deleted_at`,`created_at`);--> statement-breakpoint
CREATE INDEX `favorites_user_created_idx` ON `favorites` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `favorites_book_idx` ON `favorites` (`book_id`);--> statement-breakpoint
CREATE INDEX `reviews_book_created_idx` ON `reviews` (`book_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `borrows_user_borrowed_idx` ON `borrows` (`user_id`,`borrowed_at`);--> statement-breakpoint
CREATE INDEX `borrows_book_borrowed_idx` ON `borrows` (`book_id`,`borrowed_at`);--> statement-breakpoint
CREATE INDEX `borrows_borrowed_idx` ON `borrows` (`borrowed_at`);--> statement-breakpoint
CREATE INDEX `borrows_returned_idx` ON `borrows` (`returned_at`);--> statement-breakpoint
CREATE INDEX `files_owner_created_idx` ON `files` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `files_created_idx` ON `files` (`created_at`);--> statement-breakpoint
CREATE INDEX `files_book_idx` ON `files` (`book_id`);