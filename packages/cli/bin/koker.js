#!/usr/bin/env node
// The koker command: the bundled CLI built by `npm run build`.
import '../dist/bundle/koker.js';
