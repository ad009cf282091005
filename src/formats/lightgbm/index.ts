/** LightGBM text models (formats.md §6). */
export { parseLightgbmModel, type LgbmModel, type LgbmTree, type LgbmObjective } from './model.js';
