import nodemailer from 'nodemailer';
import { newId } from '@orvanta/protocol';
import type { Db, Tx } from './db/client.ts';
import { AppError } from './errors.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  /** True when mail goes to the development outbox (DevMail) instead of an SMTP server. */
  readonly outbox: boolean;
  /** Sends, or writes to the outbox inside `tx` so the message exists only if the change commits. */
  send(message: MailMessage, tx?: Tx): Promise<void>;
}

/**
 * SMTP through nodemailer when SMTP_URL is set (smtp://user:pass@host:587, smtps://…).
 * With MAIL_DEV_OUTBOX (npm start, tests) every message is instead written to the DevMail
 * table, which the console shows to anyone at /dev/mail, so sign-up, invitations and
 * password resets work with no mail server. With neither, sending fails with a clear
 * error: a production install never exposes reset links through the outbox by accident.
 */
export function createMailer(db: Db, options: { smtpUrl?: string; devOutbox: boolean; from: string }): Mailer {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      outbox: false,
      async send(message) {
        await transport.sendMail({ from: options.from, ...message });
      },
    };
  }
  if (!options.devOutbox) {
    return {
      outbox: false,
      async send() {
        throw new AppError('unavailable', 'Email is not configured', 'This installation cannot send email yet: an operator must set SMTP_URL.');
      },
    };
  }
  return {
    outbox: true,
    async send(message, tx) {
      await (tx ?? db).devMail.create({ data: { id: newId('mail'), to: message.to, subject: message.subject, text: message.text, html: message.html ?? null } });
    },
  };
}
