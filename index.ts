// The package is loaded by n8n through the "n8n" field of package.json; nothing to export here.
export {};
