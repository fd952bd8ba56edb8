import { jest } from '@jest/globals';

// A real n8n and a real browser on a shared 2-core machine: generous, but finite.
jest.setTimeout(300_000);
