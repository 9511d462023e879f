/**
 * The addresses an admin pastes into their IdP. Each tenant has its own, so one Warden serves
 * many organisations with different IdPs.
 */
export interface SpUrls {
  entity_id: string;
  metadata_url: string;
  acs_url: string;
  idp_initiated_acs_url: string;
  wsfed_realm: string;
  wsfed_reply_url: string;
  oidc_redirect_uri: string;
  sign_in_url: string;
}

export function spUrls(baseUrl: string, tenantSlug: string): SpUrls {
  const root = `${baseUrl}/sso/${tenantSlug}`;
  return {
    entity_id: `${root}/saml/metadata`,
    metadata_url: `${root}/saml/metadata`,
    acs_url: `${root}/saml/acs`,
    idp_initiated_acs_url: `${root}/saml/idp-acs`,
    wsfed_realm: root,
    wsfed_reply_url: `${root}/wsfed`,
    oidc_redirect_uri: `${root}/oidc/callback`,
    sign_in_url: `${baseUrl}/login?tenant=${tenantSlug}`,
  };
}
