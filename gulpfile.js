const { src, dest, task } = require('gulp');

// tsc emits JavaScript only; n8n also needs each node's and credential's icon in dist.
task('build:icons', () =>
	src(['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(dest('dist')),
);
