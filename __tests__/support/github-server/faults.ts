// Error injection: a test queues answers for the next calls to an operation, e.g. a 403 for a token
// without `contents: write`, a secondary rate limit, or a ruleset refusing a ref update. The bodies
// below are the ones GitHub sends; the server still checks them against the spec before sending.

export interface Fault {
  status: number
  /** The JSON body; `documentation_url` is added when missing, as every GitHub error has one. */
  body?: Record<string, unknown>
  headers?: Record<string, string>
}

export interface InjectedFault extends Fault {
  /** The spec's operationId, e.g. `git/create-ref`. */
  operation: string
  /** How many of the next calls get this answer (default 1). */
  times?: number
}

/** 403 a GITHUB_TOKEN gets when the workflow's `permissions:` do not grant the scope. */
export function notAccessibleByIntegration(): Fault {
  return {
    status: 403,
    body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest', status: '403' }
  }
}

/** 403 secondary rate limit; Octokit's throttling plugin waits `retry-after` seconds. */
export function secondaryRateLimit(retryAfterSeconds = 1): Fault {
  return {
    status: 403,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: '403'
    }
  }
}

/** 429 with `x-ratelimit-remaining: 0`: the primary limit, reset `resetInSeconds` from now. */
export function primaryRateLimit(resetInSeconds = 0): Fault {
  return {
    status: 429,
    headers: {
      'x-ratelimit-limit': '1000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '1000',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetInSeconds)
    },
    body: {
      message: 'API rate limit exceeded for installation ID 1.',
      documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
      status: '429'
    }
  }
}

export function serverError(status = 500): Fault {
  return { status, body: { message: 'Server Error', status: String(status) } }
}

/** 422 from a branch protection rule or ruleset on a ref update (GH013 on `git push`). */
export function protectedRef(): Fault {
  return {
    status: 422,
    body: {
      message: 'Repository rule violations found\n\nCannot update this protected ref.\n\n',
      documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference',
      status: '422'
    }
  }
}

/** 422 a ruleset answers when a tag is created that it protects (e.g. a `v*` creation rule). */
export function ruleViolationOnCreate(): Fault {
  return {
    status: 422,
    body: {
      message: 'Repository rule violations found\n\nCannot create ref due to creations being restricted.\n\n',
      documentation_url: 'https://docs.github.com/rest/git/refs#create-a-reference',
      status: '422'
    }
  }
}

/** 422 Validation Failed with GitHub's `errors` list. */
export function validationFailed(errors: { resource?: string; field?: string; code: string; message?: string }[]): Fault {
  return { status: 422, body: { message: 'Validation Failed', errors, documentation_url: 'https://docs.github.com/rest', status: '422' } }
}

/** A socket closed without an answer, as when a connection to GitHub drops. */
export const DROP_CONNECTION = { status: 0 } as const satisfies Fault

/**
 * 403 on creating a pull request when the repository's (or organisation's) setting "Allow GitHub
 * Actions to create and approve pull requests" is off: the default for new repositories.
 */
export function actionsCannotCreatePullRequests(): Fault {
  return {
    status: 403,
    body: {
      message: 'GitHub Actions is not permitted to create or approve pull requests.',
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '403'
    }
  }
}

/** 422 from classic branch protection on a ref update (GH006 on `git push`). */
export function protectedBranch(branch: string): Fault {
  return {
    status: 422,
    body: {
      message: `Protected branch update failed for refs/heads/${branch}.\n\nChanges must be made through a pull request.`,
      documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference',
      status: '422'
    }
  }
}

/**
 * A GraphQL mutation refused by a ruleset or branch protection: HTTP 200 with the mutation's field
 * null and the refusal in `errors`, as GitHub's GraphQL API answers (inject into `graphql/<field>`).
 */
export function graphqlRuleViolation(field: string): Fault {
  return {
    status: 200,
    body: {
      data: { [field]: null },
      errors: [
        {
          type: 'UNPROCESSABLE',
          path: [field],
          locations: [{ line: 1, column: 1 }],
          message: 'Repository rule violations found\n\nCannot update this protected ref.\n\n'
        }
      ]
    }
  }
}
