ALTER TABLE `books` ADD `author_name` varchar(200) DEFAULT '' NOT NULL;--> statement-breakpoint
UPDATE `books` JOIN `authors` ON `authors`.`id` = `books`.`author_id` SET `books`.`author_name` = `authors`.`name`;--> statement-breakpoint
ALTER TABLE `authors` ADD CONSTRAINT `authors_id_name_unique` UNIQUE(`id`,`name`);--> statement-breakpoint
ALTER TABLE `books` ADD CONSTRAINT `books_author_name_fk` FOREIGN KEY (`author_id`,`author_name`) REFERENCES `authors`(`id`,`name`) ON DELETE restrict ON UPDATE cascade;--> statement-breakpoint
CREATE TRIGGER `books_author_name_on_insert` BEFORE INSERT ON `books` FOR EACH ROW
  SET NEW.`author_name` = coalesce((SELECT `name` FROM `authors` WHERE `id` = NEW.`author_id`), '');--> statement-breakpoint
CREATE TRIGGER `books_author_name_on_update` BEFORE UPDATE ON `books` FOR EACH ROW
  IF NOT (NEW.`author_id` <=> OLD.`author_id`) THEN
    SET NEW.`author_name` = coalesce((SELECT `name` FROM `authors` WHERE `id` = NEW.`author_id`), '');
  END IF;--> statement-breakpoint
-- Every word of three characters or more is indexed, "the" included: the index is built without the
-- stopword list (the setting is read when the index is built; a rebuild of `books` must repeat it).
SET SESSION innodb_ft_enable_stopword = OFF;--> statement-breakpoint
CREATE FULLTEXT INDEX `books_search_idx` ON `books` (`title`, `author_name`);--> statement-breakpoint
SET SESSION innodb_ft_enable_stopword = DEFAULT;
