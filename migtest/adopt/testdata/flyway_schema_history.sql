-- Flyway's history table on MySQL/MariaDB, with the columns and types of
-- Flyway's MySQL createMetaDataTable.sql (Flyway's documentation, "Schema
-- History Table"); Flyway itself cannot be installed here.
CREATE TABLE flyway_schema_history (
    installed_rank INT NOT NULL,
    version VARCHAR(50),
    description VARCHAR(200) NOT NULL,
    type VARCHAR(20) NOT NULL,
    script VARCHAR(1000) NOT NULL,
    checksum INT,
    installed_by VARCHAR(100) NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    execution_time INT NOT NULL,
    success BOOL NOT NULL,
    CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank)
) ENGINE=InnoDB;
CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success);
