import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { InvalidInputError } from './errors';

export interface ParsedCertificateCredential {
	/** PKCS#8 PEM, the form MSAL signs with. */
	privateKeyPem: string;
	/** Hex SHA-256 of the leaf certificate's DER bytes (MSAL's thumbprintSha256). */
	thumbprintSha256: string;
	/** The PEM chain, sent as x5c for subject name + issuer authentication. */
	x5c?: string;
	notAfter: Date;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks a private key and certificate pair before MSAL sees them: MSAL's own errors for
 * a bad key or a missing thumbprint are misleading.
 */
export function parseCertificateCredential(
	privateKeyText: string,
	certificateText: string,
	sendX5c: boolean,
	passphrase?: string,
): ParsedCertificateCredential {
	const key = parsePrivateKey(privateKeyText, passphrase);
	const certificates = parseCertificateChain(certificateText);
	const leaf = certificates[0];
	if (!leaf.checkPrivateKey(key)) {
		throw new InvalidInputError(
			`The private key does not belong to the certificate (subject "${leaf.subject.replace(/\n/g, ', ')}").`,
			'Paste the private key that was generated with this certificate.',
			'Private Key',
		);
	}
	return {
		privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
		thumbprintSha256: createHash('sha256').update(leaf.raw).digest('hex'),
		x5c: sendX5c ? certificates.map((c) => c.toString()).join('\n') : undefined,
		notAfter: new Date(leaf.validTo),
	};
}

function parsePrivateKey(text: string, passphrase?: string): KeyObject {
	const pem = normalizePem(text);
	if (!pem.includes('PRIVATE KEY-----')) {
		throw new InvalidInputError(
			'Private Key is not a PEM private key.',
			'Paste the key including its "-----BEGIN PRIVATE KEY-----" and "-----END PRIVATE KEY-----" lines.',
			'Private Key',
		);
	}
	const encrypted = pem.includes('ENCRYPTED PRIVATE KEY') || pem.includes('Proc-Type: 4,ENCRYPTED');
	if (encrypted && !passphrase) {
		throw new InvalidInputError(
			'Private Key is encrypted.',
			'Enter its passphrase in Private Key Passphrase, or export it unencrypted (openssl pkey -in key.pem -out key-plain.pem).',
			'Private Key',
		);
	}
	try {
		const key = createPrivateKey({ key: pem, format: 'pem', passphrase: passphrase || undefined });
		if (key.asymmetricKeyType !== 'rsa') {
			throw new InvalidInputError(
				`Private Key is a ${key.asymmetricKeyType ?? 'non-RSA'} key; Entra ID certificate credentials use RSA.`,
				'Create an RSA certificate (2048 bits or more) and upload it to the app registration.',
				'Private Key',
			);
		}
		return key;
	} catch (error) {
		if (error instanceof InvalidInputError) throw error;
		throw new InvalidInputError(
			encrypted
				? 'Private Key could not be decrypted with the given passphrase.'
				: 'Private Key could not be read: the PEM is damaged.',
			encrypted
				? 'Check Private Key Passphrase.'
				: 'Paste the key again, with its BEGIN and END lines and nothing cut off.',
			'Private Key',
		);
	}
}

function parseCertificateChain(text: string): X509Certificate[] {
	if (text.trim() === '') {
		throw new InvalidInputError(
			'Certificate is empty.',
			'Paste the PEM certificate uploaded to the app registration, including its "-----BEGIN CERTIFICATE-----" and "-----END CERTIFICATE-----" lines.',
			'Certificate',
		);
	}
	const blocks = normalizePem(text).match(CERT_BLOCK) ?? [];
	if (blocks.length === 0) {
		throw new InvalidInputError(
			'Certificate is not a PEM certificate.',
			'Paste the certificate including its "-----BEGIN CERTIFICATE-----" and "-----END CERTIFICATE-----" lines.',
			'Certificate',
		);
	}
	return blocks.map((block) => {
		try {
			return new X509Certificate(block);
		} catch {
			throw new InvalidInputError(
				'Certificate could not be read: the PEM is damaged.',
				'Paste the certificate again, with its BEGIN and END lines and nothing cut off.',
				'Certificate',
			);
		}
	});
}

/** n8n text fields may turn new lines into spaces or literal "\n"; rebuild the PEM lines. */
function normalizePem(text: string): string {
	const unescaped = (text ?? '').replace(/\\n/g, '\n').trim();
	return unescaped.replace(
		/(-----BEGIN [A-Z ]+-----)([\s\S]*?)(-----END [A-Z ]+-----)/g,
		(_m, begin: string, body: string, end: string) => {
			if (/Proc-Type:/.test(body)) return `${begin}${body}${end}`;
			const base64 = body.replace(/\s+/g, '');
			return `${begin}\n${base64.match(/.{1,64}/g)?.join('\n') ?? ''}\n${end}`;
		},
	);
}
