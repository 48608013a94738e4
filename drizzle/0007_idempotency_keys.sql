CREATE TABLE `idempotency_keys` (
	`scope` varchar(80) NOT NULL,
	`key_hash` char(64) NOT NULL,
	`claim_id` char(36) NOT NULL,
	`fingerprint` char(64) NOT NULL,
	`status` enum('in_progress','done') NOT NULL DEFAULT 'in_progress',
	`response_status` smallint unsigned,
	`response_headers` json,
	`response_body` mediumtext,
	`created_at` datetime(3) NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	CONSTRAINT `idempotency_keys_scope_key_hash_pk` PRIMARY KEY(`scope`,`key_hash`),
	CONSTRAINT `idempotency_keys_answer_iff_done` CHECK((`idempotency_keys`.`status` = 'done') = (`idempotency_keys`.`response_status` is not null and `idempotency_keys`.`response_body` is not null))
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_idx` ON `idempotency_keys` (`expires_at`);