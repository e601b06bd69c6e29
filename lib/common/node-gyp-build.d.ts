// The part of node-gyp-build (the addon loader) that lib/common/native.ts uses; the package ships no types.
declare module 'node-gyp-build' {
  /** Loads the addon found under `dir`. */
  function load(dir: string): unknown;
  namespace load {
    /** The path of the addon file found under `dir`: build/Release, build/Debug, then prebuilds/<platform>-<arch>/. */
    function resolve(dir: string): string;
  }
  export = load;
}
