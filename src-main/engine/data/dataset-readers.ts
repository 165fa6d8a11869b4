/**
 * Readers of dataset file formats that the engine is given rather than owns. The CIFAR
 * "python version" is a pickle, and the safe pickle reader is a reader of a foreign format,
 * which lives in src-main/acquire/ (the engine imports nothing from there). So the code that
 * runs the engine passes acquire's reader in; a python-format CIFAR folder opened without
 * one fails with a DatasetError naming the folder.
 */
import type { CifarKind, CifarSplitData } from './cifar-layout.ts';

/** Reads one CIFAR file format: batch files in order, and the label-name file. */
export interface CifarFormatReader {
  readSplit(kind: CifarKind, files: readonly string[]): Promise<CifarSplitData>;
  readLabelNames(kind: CifarKind, file: string): Promise<string[]>;
}

export interface DatasetReaders {
  /** The CIFAR python version (pickled batches). */
  cifarPython?: CifarFormatReader;
}
