/**
 * Schema version 8: imported models. One row per PyTorch checkpoint brought in, with its
 * provenance (file name, size, sha256 — unique, so a file is imported once), what it is
 * (architecture, model config, the reference's layout and torch's serialisation), what it
 * reports (epoch, temperature, memory momentum, accuracy), its feature bank's shape, and
 * what the user tells about it later: the train folder the bank rows come from, class names.
 * Its files live under SNCA_HOME/models/<id>/.
 */
import type { Db } from '../migrator.ts';

export function up(db: Db): void {
  db.exec(`
    CREATE TABLE models (
      id             TEXT PRIMARY KEY,
      name           TEXT NOT NULL UNIQUE,
      file_name      TEXT NOT NULL,
      file_bytes     INTEGER NOT NULL CHECK (file_bytes >= 0),
      sha256         TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
      arch           TEXT NOT NULL,
      config         TEXT NOT NULL CHECK (json_valid(config)),
      layout         TEXT NOT NULL CHECK (layout IN ('imagenet', 'cifar', 'state-dict')),
      format         TEXT NOT NULL CHECK (format IN ('legacy', 'zip')),
      epoch          INTEGER,
      temperature    REAL,
      momentum       REAL,
      accuracy       REAL,
      bank_rows      INTEGER CHECK (bank_rows IS NULL OR bank_rows >= 0),
      bank_dim       INTEGER CHECK (bank_dim IS NULL OR bank_dim > 0),
      stored_bytes   INTEGER NOT NULL DEFAULT 0,
      imported_at    TEXT NOT NULL,
      train_folder   TEXT,
      class_names    TEXT CHECK (class_names IS NULL OR json_valid(class_names))
    ) STRICT;
  `);
}
