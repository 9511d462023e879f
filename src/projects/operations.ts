import { z } from 'zod';
import { defineOperation, type OperationContext } from '../ops/types.ts';
import { conflict, notFound } from '../core/errors.ts';
import { publishInvalidation } from '../db/connect.ts';
import { tenantSlug } from '../tenants/schema.ts';
import { findMember } from '../members/store.ts';
import { memberNotFound } from '../members/errors.ts';
import { email, roleName } from '../members/schema.ts';
import { assertCanAssignRole } from '../roles/service.ts';

const projectView = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  bindings: z.array(z.object({ email: z.string(), role: z.string() })).describe('Project-level roles, added to the member\'s tenant role when X-Project-Id names this project'),
});

async function projectViews(ctx: OperationContext) {
  const projects = await ctx.db.selectFrom('projects').select(['id', 'slug', 'name']).where('tenant_id', '=', ctx.tenant.id).orderBy('slug').execute();
  const bindings = await ctx.db
    .selectFrom('project_role_bindings')
    .innerJoin('users', 'users.id', 'project_role_bindings.user_id')
    .select(['project_role_bindings.project_id', 'users.email', 'project_role_bindings.role'])
    .where('project_role_bindings.tenant_id', '=', ctx.tenant.id)
    .orderBy('users.email')
    .execute();
  return projects.map((p) => ({ ...p, bindings: bindings.filter((b) => b.project_id === p.id).map(({ email, role }) => ({ email, role })) }));
}

async function findProject(ctx: OperationContext, slug: string) {
  const project = await ctx.db.selectFrom('projects').select(['id', 'slug']).where('tenant_id', '=', ctx.tenant.id).where('slug', '=', slug).executeTakeFirst();
  if (!project) throw notFound('PROJECT_NOT_FOUND', `No project "${slug}" in this tenant.`, 'projects.list shows the projects.');
  return project;
}

export const projectsList = defineOperation({
  name: 'projects.list',
  title: 'List projects',
  description: 'List the projects inside the current tenant with their project-level role bindings. Send a project\'s slug as X-Project-Id for project-scoped calls.',
  input: z.object({}),
  output: z.object({ projects: z.array(projectView) }),
  permission: 'tenant:read',
  annotations: { readOnly: true, destructive: false, idempotent: true },
  rest: { method: 'GET', path: '/projects' },
  async handler(ctx) {
    return { projects: await projectViews(ctx) };
  },
});

export const projectsCreate = defineOperation({
  name: 'projects.create',
  title: 'Create project',
  description: 'Create a project inside the current tenant (projects group resources; members can hold an extra role on one project).',
  input: z.object({ slug: tenantSlug.describe('Short id, e.g. "payments"'), name: z.string().min(1).max(200).optional() }),
  output: projectView,
  permission: 'tenant:write',
  annotations: { readOnly: false, destructive: false, idempotent: false },
  rest: { method: 'POST', path: '/projects' },
  async handler(ctx, input) {
    ctx.audit.target = input.slug;
    const clash = await ctx.db.selectFrom('projects').select('id').where('tenant_id', '=', ctx.tenant.id).where('slug', '=', input.slug).executeTakeFirst();
    if (clash) throw conflict('PROJECT_EXISTS', `A project "${input.slug}" already exists.`, { field: 'slug' });
    const row = await ctx.db.insertInto('projects').values({ tenant_id: ctx.tenant.id, slug: input.slug, name: input.name ?? input.slug }).returning(['id', 'slug', 'name']).executeTakeFirstOrThrow();
    return { ...row, bindings: [] };
  },
});

export const projectsSetMemberRole = defineOperation({
  name: 'projects.set_member_role',
  title: 'Set project role',
  description:
    "Give a tenant member an extra role on one project (added to their tenant role when X-Project-Id names the project), or remove it with role null. The member must already belong to the tenant; you cannot grant permissions you do not hold.",
  input: z.object({ project: z.string().min(1).describe('Project slug'), email, role: roleName.nullable() }),
  output: projectView,
  permission: 'members:write',
  annotations: { readOnly: false, destructive: false, idempotent: true },
  rest: { method: 'PUT', path: '/projects/{project}/members/{email}' },
  async handler(ctx, input) {
    ctx.audit.target = `${input.project}/${input.email}`;
    const project = await findProject(ctx, input.project);
    const member = await findMember(ctx.db, ctx.tenant.id, input.email);
    if (!member) throw memberNotFound(input.email);
    await ctx.db.deleteFrom('project_role_bindings').where('project_id', '=', project.id).where('user_id', '=', member.user_id).execute();
    if (input.role !== null) {
      await assertCanAssignRole(ctx, input.role);
      await ctx.db.insertInto('project_role_bindings').values({ project_id: project.id, tenant_id: ctx.tenant.id, user_id: member.user_id, role: input.role }).execute();
    }
    await publishInvalidation(ctx.db, `member:${ctx.tenant.id}:${member.user_id}`);
    return (await projectViews(ctx)).find((p) => p.id === project.id)!;
  },
});

export const projectOperations = [projectsList, projectsCreate, projectsSetMemberRole];
