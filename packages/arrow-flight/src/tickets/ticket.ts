/** The kinds of stream a ticket can name. */
export type TicketKind = 'table' | 'graphql' | 'view' | 'events' | 'export' | 'sql';

/**
 * What a ticket carries once verified. `request` is the kind's own structured request,
 * validated when the ticket was issued and again when it is redeemed.
 */
export interface TicketClaims {
  /** Ticket format version (today 1). */
  readonly version: 1;
  readonly kind: TicketKind;
  readonly request: unknown;
  /** Subject the ticket was issued to. */
  readonly subject: string;
  /** Tenant of the issuing caller; a caller of another tenant cannot redeem it. */
  readonly tenant: string | undefined;
  /** Stream id, the handle of the `cancel` action. */
  readonly streamId: string;
  /** Expiry, epoch seconds. */
  readonly expiresAt: number;
}
