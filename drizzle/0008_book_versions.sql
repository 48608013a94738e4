-- Adding a column to `books` rebuilds it (a table with a full-text index cannot add one instantly),
-- and with it the full-text index: keep it stopword-free, as 0003 built it.
SET SESSION innodb_ft_enable_stopword = OFF;--> statement-breakpoint
ALTER TABLE `books` ADD `version` int unsigned DEFAULT 1 NOT NULL;--> statement-breakpoint
SET SESSION innodb_ft_enable_stopword = DEFAULT;--> statement-breakpoint
-- Every UPDATE of a book moves its version, whatever statement writes it, so its ETag changes with any
-- change of what GET /api/books/:id shows (an author's rename reaches the book through a cascading
-- foreign key, which fires no trigger: the ETag carries the author's updated_at for that).
CREATE TRIGGER `books_version_on_update` BEFORE UPDATE ON `books` FOR EACH ROW
  SET NEW.`version` = OLD.`version` + 1;
