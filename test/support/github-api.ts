// The local GitHub API and function URL live beside the scenarios that use them too.
export {
  type AlertUpdate,
  startFunctionUrl,
  startGithubApi,
} from "../../packages/cli/src/scenarios/github.ts";
