export declare const cacheDir: string;
export declare const versions: Record<string, string>;
/** The cached binary, or an error that says how to build it. */
export declare function tool(name: string): string;
