CREATE TABLE `email_outbox` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`idempotency_key` char(36) NOT NULL,
	`kind` varchar(40) NOT NULL,
	`recipient` varchar(254) NOT NULL,
	`subject` varchar(255) NOT NULL,
	`text` text NOT NULL,
	`html` text NOT NULL,
	`status` enum('pending','sending','sent','failed') NOT NULL DEFAULT 'pending',
	`attempts` smallint unsigned NOT NULL DEFAULT 0,
	`next_attempt_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	`last_error` varchar(500),
	`provider_id` varchar(100),
	`sent_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	`updated_at` datetime(3) NOT NULL DEFAULT current_timestamp(3),
	CONSTRAINT `email_outbox_id` PRIMARY KEY(`id`),
	CONSTRAINT `email_outbox_idempotency_key_unique` UNIQUE(`idempotency_key`),
	CONSTRAINT `email_outbox_sent_at_iff_sent` CHECK((`email_outbox`.`status` = 'sent') = (`email_outbox`.`sent_at` is not null))
);
--> statement-breakpoint
CREATE INDEX `email_outbox_due_idx` ON `email_outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `email_outbox_sent_idx` ON `email_outbox` (`sent_at`);