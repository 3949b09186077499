import { defineChain, llm } from 'fapo';

/** One classification step with CTIBench's own prompt; the CWE id is read from the last line. */
export default defineChain({
  name: 'ctibench-rcm',
  description: 'classify: CVE description -> justification and CWE id on the last line',
  steps: [llm('classify')],
  output: 'classify',
});
