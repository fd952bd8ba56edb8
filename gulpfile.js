const { src, dest, task } = require('gulp');

// tsc emits JavaScript only; n8n also needs the icons the nodes and credentials name, in dist.
task('build:icons', () => src(['icons/*.{png,svg}'], { base: '.', encoding: false }).pipe(dest('dist')));
