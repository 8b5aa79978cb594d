/** Reading and writing model files: safetensors (PyTorch-compatible names and layout). */
export {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  loadSafetensors,
  parseSafetensors,
  readSafetensorsHeader,
  saveSafetensors,
  serializeSafetensors,
  type SafetensorsDType,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
  type StateDict,
} from './safetensors.js';
export { writeFileAtomic } from './atomic.js';
export { imageGrid, encodePng, savePng, saveImageGrid, loadPng, type RgbaImage, type GridOptions } from './png.js';
