import { describe, expect, it, beforeAll } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificateCredential } from '../../nodes/core/certificate';
import { InvalidInputError } from '../../nodes/core/errors';

let keyPem: string;
let certPem: string;
let otherKeyPem: string;
let encryptedKeyPem: string;

function openssl(args: string[]): void {
	execFileSync('openssl', args, { stdio: 'ignore' });
}

beforeAll(() => {
	const dir = mkdtempSync(join(tmpdir(), 'msal-cert-'));
	openssl([
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-keyout',
		join(dir, 'key.pem'),
		'-out',
		join(dir, 'cert.pem'),
		'-days',
		'2',
		'-subj',
		'/CN=unit',
	]);
	openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(dir, 'other.pem')]);
	openssl([
		'pkcs8',
		'-topk8',
		'-in',
		join(dir, 'key.pem'),
		'-out',
		join(dir, 'enc.pem'),
		'-passout',
		'pass:s3cret',
		'-v2',
		'aes-256-cbc',
	]);
	keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
	certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
	otherKeyPem = readFileSync(join(dir, 'other.pem'), 'utf8');
	encryptedKeyPem = readFileSync(join(dir, 'enc.pem'), 'utf8');
});

function fieldOf(fn: () => unknown): string | undefined {
	try {
		fn();
	} catch (error) {
		if (error instanceof InvalidInputError) return error.field;
		throw error;
	}
	throw new Error('expected an InvalidInputError');
}

describe('certificate credentials', () => {
	it('computes the SHA-256 thumbprint of the certificate as the hash of its DER bytes', () => {
		const parsed = parseCertificateCredential(keyPem, certPem, false);
		const expected = createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
		expect(parsed.thumbprintSha256).toBe(expected);
		expect(parsed.x5c).toBeUndefined();
		expect(parsed.privateKeyPem).toContain('BEGIN PRIVATE KEY');
	});

	it('sends the chain as x5c only when asked', () => {
		expect(parseCertificateCredential(keyPem, certPem, true).x5c).toContain('BEGIN CERTIFICATE');
	});

	it('repairs PEM whose new lines were flattened to spaces or "\\n" by a text field', () => {
		const flattened = keyPem.replace(/\n/g, ' ');
		const escaped = certPem.replace(/\n/g, '\\n');
		expect(parseCertificateCredential(flattened, escaped, false).thumbprintSha256).toHaveLength(64);
	});

	it('decrypts an encrypted key with its passphrase, and names the field without it', () => {
		expect(parseCertificateCredential(encryptedKeyPem, certPem, false, 's3cret').thumbprintSha256).toHaveLength(64);
		expect(fieldOf(() => parseCertificateCredential(encryptedKeyPem, certPem, false))).toBe('Private Key');
		expect(fieldOf(() => parseCertificateCredential(encryptedKeyPem, certPem, false, 'wrong'))).toBe('Private Key');
	});

	it('refuses a key that does not belong to the certificate', () => {
		expect(fieldOf(() => parseCertificateCredential(otherKeyPem, certPem, false))).toBe('Private Key');
	});

	it('refuses malformed PEM naming the field', () => {
		expect(fieldOf(() => parseCertificateCredential('hello', certPem, false))).toBe('Private Key');
		const lines = keyPem.trim().split('\n');
		const truncated = [...lines.slice(0, 8), lines[lines.length - 1]].join('\n');
		expect(fieldOf(() => parseCertificateCredential(truncated, certPem, false))).toBe('Private Key');
		expect(fieldOf(() => parseCertificateCredential(keyPem, 'not a certificate', false))).toBe('Certificate');
		expect(
			fieldOf(() =>
				parseCertificateCredential(keyPem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', false),
			),
		).toBe('Certificate');
	});

	it('an empty certificate says so (a record whose certificate is in no declared field)', () => {
		expect(() => parseCertificateCredential(keyPem, '  ', false)).toThrow('Certificate is empty.');
		expect(fieldOf(() => parseCertificateCredential(keyPem, '', false))).toBe('Certificate');
	});
});
