/**
 * Errors the model layer raises. Each names the offending thing (architecture, input
 * shape, state_dict key) and says what would be accepted, because the user usually fixes
 * them by changing a config or picking another checkpoint.
 */

/** A model that cannot be built as asked (unknown architecture, impossible input shape, bad lowDim). */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

/** A batch that the model cannot run (wrong rank, channels or size, or one value per BatchNorm channel in training). */
export class ModelInputError extends Error {
  override readonly name = 'ModelInputError';
}

export type StateDictProblem = 'missing-key' | 'unexpected-key' | 'shape-mismatch' | 'dtype-mismatch' | 'data-length';

/** A state_dict that does not fit the model; `key` is the PyTorch name at fault. */
export class StateDictError extends Error {
  override readonly name = 'StateDictError';
  constructor(
    readonly problem: StateDictProblem,
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}
