import { GenlabError } from '../errors.js';

/** A file that is not what it claims to be: a corrupt or truncated checkpoint, a dataset file that is not IDX. */
export class FormatError extends GenlabError {}

/** A file or dataset that is not where it was looked for. */
export class MissingFileError extends GenlabError {}
