/**
 * How printed commands (replay lines, help) invoke diocheck: the package's bin through npx. Inside
 * the repository npx runs the package's own bin; anywhere else it runs the bin of an installed or
 * linked copy (`npm install -g PATH`, `npm link`). `npm run diocheck -- ...` works only inside it.
 */
export const DIOCHECK = 'npx diocheck';
