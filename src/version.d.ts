/** fapo's release, from package.json. */
export declare const FAPO_VERSION: string;
