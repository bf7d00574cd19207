// Memory accounting for leak tests that does not depend on when the garbage collector runs.
import * as T from '../../src/index.js';

/**
 * Bytes allocated and not yet disposed: live bytes plus those the FinalizationRegistry freed for
 * tensors an earlier test dropped without disposing. A GC in the middle of a test lowers
 * `liveBytes` at a random moment; this sum moves only with allocation and dispose.
 */
export const heldBytes = (): number => {
  const m = T.memory();
  return m.liveBytes + m.collectedBytes;
};

/** The same for tensor counts. */
export const heldTensors = (): number => {
  const m = T.memory();
  return m.liveTensors + m.collectedTensors;
};
