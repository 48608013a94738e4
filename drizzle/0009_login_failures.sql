CREATE TABLE `login_failures` (
	`account_hash` char(64) NOT NULL,
	`ip` varchar(45) NOT NULL,
	`attempts` int unsigned NOT NULL,
	`window_ends_at` datetime(3) NOT NULL,
	CONSTRAINT `login_failures_account_hash_ip_pk` PRIMARY KEY(`account_hash`,`ip`)
);
--> statement-breakpoint
CREATE INDEX `login_failures_window_ends_idx` ON `login_failures` (`window_ends_at`);