/**
 * Keras HDF5 (.h5) model configuration reader over jsfive (threats.md §6: unreadable ⇒ incomplete).
 *
 * @packageDocumentation
 */
export { readKerasH5Config, HDF5_MAGIC, type KerasH5Config } from './keras.js';
