// Types of build-fingerprint.mjs (plain JavaScript: the bootstrap and cli/bin.mjs load it before anything is built).
export declare const SOURCE_DIRS: readonly string[];
export declare function sourceFingerprint(root: string): string;
