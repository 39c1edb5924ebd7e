import { exec } from 'node:child_process';

/**
 * Runs `--otp-command` to get a 2FA code from wherever the tester's target sends it. The command
 * runs in a shell with AUTHDOUBLE_OTP_API and AUTHDOUBLE_OTP_EMAIL set; its stdout, trimmed, is
 * the code. Resolves with the code, or rejects with a sentence saying what went wrong.
 */
export function runOtpCommand(command: string, env: { api: string; email: string }, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    exec(
      command,
      { timeout: timeoutMs, env: { ...process.env, AUTHDOUBLE_OTP_API: env.api, AUTHDOUBLE_OTP_EMAIL: env.email }, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? `gave no code within ${timeoutMs} ms` : `exited with ${error.code ?? error.signal}`;
          reject(new Error(`--otp-command ${why}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`));
          return;
        }
        const code = stdout.trim();
        if (code === '') reject(new Error('--otp-command printed nothing; it must print the 2FA code on stdout'));
        else resolve(code);
      },
    );
  });
}
