// Certificates for the rig, made with the `openssl` CLI (Node's crypto can make keys
// but not X.509 certificates, and we want no extra dependency).
//
//   ensureCa(dir)            -> CA key + cert, reused when already in `dir` (so a
//                               process started with NODE_EXTRA_CA_CERTS=<dir>/ca.pem
//                               before the rig exists still trusts it)
//   issueServerCert(ca, dir) -> TLS cert for 127.0.0.1, localhost and Microsoft's global sign-in
//                               host (served by the rig through a CONNECT proxy), signed by the CA
//   selfSignedClientCert(dir, name) -> the "certificate credential" of a confidential
//                               client: PKCS#8 key, cert, SHA-256 thumbprint (hex)
//
// CLI: `node test/rig/certificates.mjs ensure-ca [dir]` prints the CA path, for
//      NODE_EXTRA_CA_CERTS="$(node test/rig/certificates.mjs ensure-ca)" npx jest ...
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The rig plays Entra ID's global sign-in host too: a token that may go only to Microsoft's
// host is tested by routing this name to the rig (test/rig/connect-proxy.ts).
export const MICROSOFT_SIGN_IN_HOST = 'login.microsoftonline.com';
// The rig's Azure OpenAI resource by name (azure-openai.mjs), reached through a CONNECT proxy.
export const AZURE_OPENAI_HOST = 'rig.openai.azure.com';

export const DEFAULT_CA_DIR = resolve(fileURLToPath(new URL('../../.rig/ca', import.meta.url)));

function openssl(args, cwd) {
	execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function ensureCa(dir = DEFAULT_CA_DIR) {
	mkdirSync(dir, { recursive: true });
	const keyPath = join(dir, 'ca-key.pem');
	const certPath = join(dir, 'ca.pem');
	if (!existsSync(keyPath) || !existsSync(certPath)) {
		openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath]);
		openssl([
			'req',
			'-x509',
			'-new',
			'-key',
			keyPath,
			'-sha256',
			'-days',
			'3650',
			'-subj',
			'/CN=n8n-nodes-msal test rig CA',
			'-addext',
			'basicConstraints=critical,CA:TRUE',
			'-addext',
			'keyUsage=critical,keyCertSign,cRLSign',
			'-out',
			certPath,
		]);
	}
	return { keyPath, certPath, certPem: readFileSync(certPath, 'utf8') };
}

export function issueServerCert(ca, dir) {
	mkdirSync(dir, { recursive: true });
	const keyPath = join(dir, 'server-key.pem');
	const csrPath = join(dir, 'server.csr');
	const certPath = join(dir, 'server.pem');
	const extPath = join(dir, 'server.ext');
	writeFileSync(
		extPath,
		[
			'basicConstraints=CA:FALSE',
			'keyUsage=digitalSignature,keyEncipherment',
			'extendedKeyUsage=serverAuth',
			`subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${MICROSOFT_SIGN_IN_HOST},DNS:${AZURE_OPENAI_HOST}`,
		].join('\n'),
	);
	openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath]);
	openssl(['req', '-new', '-key', keyPath, '-subj', '/CN=127.0.0.1', '-out', csrPath]);
	// Short validity is fine: the server cert is re-issued at every rig start.
	openssl([
		'x509',
		'-req',
		'-in',
		csrPath,
		'-CA',
		ca.certPath,
		'-CAkey',
		ca.keyPath,
		'-CAcreateserial',
		'-days',
		'30',
		'-sha256',
		'-extfile',
		extPath,
		'-out',
		certPath,
	]);
	return { keyPem: readFileSync(keyPath, 'utf8'), certPem: readFileSync(certPath, 'utf8') };
}

export function selfSignedClientCert(dir, name) {
	mkdirSync(dir, { recursive: true });
	const keyPath = join(dir, `${name}-key.pem`);
	const certPath = join(dir, `${name}.pem`);
	// genpkey writes PKCS#8 ("BEGIN PRIVATE KEY"), which MSAL Node expects.
	openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath]);
	openssl([
		'req',
		'-x509',
		'-new',
		'-key',
		keyPath,
		'-sha256',
		'-days',
		'365',
		'-subj',
		`/CN=${name}`,
		'-out',
		certPath,
	]);
	const certificatePem = readFileSync(certPath, 'utf8');
	const x509 = new X509Certificate(certificatePem);
	return {
		privateKeyPem: readFileSync(keyPath, 'utf8'),
		certificatePem,
		thumbprintSha256: x509.fingerprint256.replaceAll(':', '').toLowerCase(),
		thumbprintSha1: x509.fingerprint.replaceAll(':', '').toLowerCase(),
		publicKey: x509.publicKey,
	};
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const [command, dir] = process.argv.slice(2);
	if (command !== 'ensure-ca') {
		process.stderr.write('usage: node test/rig/certificates.mjs ensure-ca [dir]\n');
		process.exit(2);
	}
	process.stdout.write(`${ensureCa(dir ? resolve(dir) : DEFAULT_CA_DIR).certPath}\n`);
}
