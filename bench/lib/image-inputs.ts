/** Where bench:image caches its generated inputs (`node dist/bench/image.js --inputs-only` makes them). */
import os from 'node:os';
import path from 'node:path';

/** Bump the version when the generator changes. */
export const IMAGE_INPUTS_DIR = path.join(os.tmpdir(), 'udp-chat-bench-image-v2');

/** The 12 MP photo-like JPEG (4000×3000, q90). */
export const PHOTO_12MP_FILE = 'photo-12mp.jpg';
