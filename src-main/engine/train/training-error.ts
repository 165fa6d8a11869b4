/** Failures of a training job that the user must read: they carry where it happened. */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
  constructor(
    message: string,
    readonly where?: { epoch: number; iteration: number },
  ) {
    super(where ? `${message} (epoch ${where.epoch + 1}, iteration ${where.iteration + 1})` : message);
  }
}
