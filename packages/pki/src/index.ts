export { caFiles, loadOrCreateCa, loadOrCreateServerCertificate } from './certificate-authority.js';
export type { CertificateAuthority, KeyPairPem, LeafRequest } from './certificate-authority.js';
