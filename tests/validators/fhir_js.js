// Validates FHIR R4 JSON files with FHIR.js (npm `fhir`: the R4 structure
// definitions and value sets) and every UCUM code in them with
// @lhncbc/ucum-lhc. Prints one line per problem; exits 1 when any.
// Usage: node fhir_js.js FILE...   (NODE_PATH points at the installed modules)
const fs = require('fs');
const { Fhir } = require('fhir');
const ucum = require('@lhncbc/ucum-lhc').UcumLhcUtils.getInstance();

const fhir = new Fhir();
let problems = 0;
function ucumCodes(node, out) {
  if (Array.isArray(node)) node.forEach((n) => ucumCodes(n, out));
  else if (node && typeof node === 'object') {
    if (node.system === 'http://unitsofmeasure.org' && typeof node.code === 'string') out.push(node.code);
    Object.values(node).forEach((n) => ucumCodes(n, out));
  }
  return out;
}
for (const file of process.argv.slice(2)) {
  const resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  const result = fhir.validate(resource, {});
  for (const m of result.messages || []) {
    if (m.severity === 'error') {
      problems++;
      console.log(`${file}: FHIR.js: ${m.location}: ${m.message}`);
    }
  }
  for (const code of new Set(ucumCodes(resource, []))) {
    const v = ucum.validateUnitString(code, true);
    if (v.status !== 'valid') {
      problems++;
      console.log(`${file}: UCUM: "${code}" is ${v.status}: ${(v.msg || []).join('; ')}`);
    }
  }
}
console.log(problems === 0 ? 'valid' : `${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
