/** The region operator's upload: a period and a file, sent straight to S3 with a progress bar. */
import { useState } from 'preact/hooks';
import { useApp } from '../app-context.ts';
import { currentPeriod, ErrorMessage, Page } from '../components.tsx';
import { navigate } from '../router.ts';
import { uploadProposal } from '../upload.ts';

export function UploadPage() {
  const { words } = useApp();
  const [period, setPeriod] = useState(currentPeriod());
  const [file, setFile] = useState<File | undefined>();
  const [progress, setProgress] = useState<{ sent: number; total: number } | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(undefined);
    setProgress({ sent: 0, total: file.size });
    try {
      await uploadProposal(file, period, (sent, total) => setProgress({ sent, total }));
      navigate(['usulan'], { period, uploaded: file.name });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title={words.upload}>
      <form class="card form" onSubmit={submit}>
        <label>
          {words.period}
          <input type="month" name="period" required value={period} onInput={(e) => setPeriod(e.currentTarget.value)} />
        </label>
        <label>
          {words.chooseFile}
          <input
            type="file"
            name="file"
            required
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            onChange={(e) => setFile(e.currentTarget.files?.[0])}
          />
        </label>
        {progress ? (
          <label>
            {words.progress}
            <progress max={progress.total || 1} value={progress.sent}>
              {Math.round((progress.sent / (progress.total || 1)) * 100)}%
            </progress>
            <span class="muted">{Math.round((progress.sent / (progress.total || 1)) * 100)}%</span>
          </label>
        ) : null}
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy || !file}>
          {busy ? words.uploading : words.send}
        </button>
      </form>
    </Page>
  );
}
