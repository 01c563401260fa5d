// SVG files are bundled as their source text (see the builder's webpack rules).
declare module '*.svg' {
  const value: string;
  export default value;
}
