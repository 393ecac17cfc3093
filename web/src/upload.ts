/**
 * A proposal file straight from the browser to S3: POST /uploads answers a presigned PUT (one request up
 * to 64 MiB) or a multipart upload (a presigned URL per part); the parts go one after another, each
 * part's ETag (S3's CORS exposes it) is collected and POST /uploads/complete finishes the upload. S3's
 * object-created event then starts the proposal's workflow exactly as for `dtks upload`.
 * XMLHttpRequest rather than fetch: it reports upload progress.
 */
import { ApiError, post } from './api.ts';
import type { UploadAnswer } from './types.ts';

export type Progress = (sent: number, total: number) => void;

/** Links are asked for again this long before they expire: a part's PUT must start well within its life. */
const REISSUE_MARGIN_MS = 60_000;

function put(
  url: string,
  body: Blob,
  headers: Record<string, string>,
  onProgress: (sent: number) => void,
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) {
      // The browser sets these itself and refuses a script that tries.
      if (!/^(host|content-length)$/i.test(name)) request.setRequestHeader(name, value);
    }
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) resolve(request.getResponseHeader('ETag'));
      else
        reject(new ApiError(request.status, 'UPLOAD_FAILED', `Unggah ke penyimpanan gagal (HTTP ${request.status})`));
    };
    request.onerror = () =>
      reject(new ApiError(0, 'UPLOAD_FAILED', 'Unggah ke penyimpanan gagal: server penyimpanan tidak dapat dihubungi'));
    request.send(body);
  });
}

/** Uploads `file` as the proposal of `period`; answers the object key. */
export async function uploadProposal(file: File, period: string, onProgress: Progress): Promise<string> {
  const answer = await post<UploadAnswer>('/uploads', { period, fileName: file.name, size: file.size });
  if ('url' in answer) {
    await put(answer.url, file, answer.headers ?? {}, (sent) => onProgress(sent, file.size));
    onProgress(file.size, file.size);
    return answer.key;
  }
  const parts: { partNumber: number; etag: string }[] = [];
  const urls = new Map(answer.parts.map((part) => [part.partNumber, part.url]));
  let expiresAt = Date.parse(answer.expiresAt);
  let done = 0;
  for (const { partNumber } of answer.parts) {
    // A part link lives a few minutes and a large file on a slow line takes longer: the links of the
    // parts still to send are asked for again (same uploadId) when the current ones are about to expire.
    if (Date.now() > expiresAt - REISSUE_MARGIN_MS) {
      const remaining = answer.parts.map((p) => p.partNumber).filter((n) => n >= partNumber);
      const fresh = await post<UploadAnswer>('/uploads', {
        period,
        fileName: file.name,
        size: file.size,
        uploadId: answer.uploadId,
        partNumbers: remaining,
      });
      if ('parts' in fresh) for (const p of fresh.parts) urls.set(p.partNumber, p.url);
      expiresAt = Date.parse(fresh.expiresAt);
    }
    const start = (partNumber - 1) * answer.partSize;
    const chunk = file.slice(start, Math.min(start + answer.partSize, file.size));
    const etag = await put(urls.get(partNumber) ?? '', chunk, {}, (sent) => onProgress(done + sent, file.size));
    if (!etag) throw new ApiError(0, 'UPLOAD_FAILED', 'Penyimpanan tidak mengirim ETag bagian berkas (CORS)');
    parts.push({ partNumber, etag });
    done += chunk.size;
    onProgress(done, file.size);
  }
  await post('/uploads/complete', { key: answer.key, uploadId: answer.uploadId, parts });
  return answer.key;
}
