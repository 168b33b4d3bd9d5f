// Client configs as QR codes: the WireGuard apps on iPadOS and Android
// import a config by scanning it. The PNG holds a private key: 0600.

import { chmodSync } from 'node:fs';
import QRCode from 'qrcode';

export function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

export async function writeQrPng(file: string, text: string): Promise<void> {
  await QRCode.toFile(file, text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 512 });
  chmodSync(file, 0o600);
}
