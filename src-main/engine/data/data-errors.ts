/**
 * Errors of the data layer. Each names the file or folder concerned and says what is wrong
 * with it, because the message is what the user sees in the GUI, the CLI and the run log.
 */

export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    /** The file or folder the problem is about. */
    readonly path: string,
    /** What is wrong, without the path. */
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * Nothing at this path is recognisably the dataset: it is missing, a file, or a folder without
 * the expected layout. Kept apart from errors about a recognised dataset so that the API can
 * answer all three alike (it must not tell a client which paths exist).
 */
export class NoDatasetError extends DatasetError {
  override name = 'NoDatasetError';
}

/** Too many unreadable images: the run must stop. */
export class CorruptDataError extends DatasetError {
  override name = 'CorruptDataError';
  constructor(
    path: string,
    readonly badFiles: readonly { path: string; reason: string }[],
    readonly total: number,
    readonly threshold: number,
  ) {
    const shown = badFiles.slice(0, 10).map((b) => `${b.path} (${b.reason})`).join('; ');
    const more = badFiles.length > 10 ? `; and ${badFiles.length - 10} more` : '';
    super(
      path,
      `${badFiles.length} of ${total} images are unreadable (${((100 * badFiles.length) / Math.max(total, 1)).toFixed(3)}%), ` +
        `above the tolerated ${(threshold * 100).toFixed(3)}%: ${shown}${more}`,
    );
  }
}
