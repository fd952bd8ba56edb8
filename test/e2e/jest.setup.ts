import { jest } from '@jest/globals';

// Real n8n: the first run installs n8n (minutes), each CLI call takes seconds.
jest.setTimeout(600_000);
