/** XGBoost model documents: JSON, UBJSON and Booster snapshots (formats.md §5). */
export { parseXgboostModel, readXgboostDocument, type XgbModel, type XgbTree } from './model.js';
export { parseUbjson, type UbValue, type UbTypedArray, type UbjsonOptions } from './ubjson.js';
