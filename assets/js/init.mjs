// Senco's only script. Loaded at the end of <body> as
//   <script type="module" src="/assets/init.mjs"></script>
// Pages work without it; it adds GOV.UK Frontend's progressive enhancements.
//
// GOV.UK Frontend v6's page template marks support with an inline script:
//   document.body.className += ' js-enabled' +
//     ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
// Senco allows no inline scripts (strict Content-Security-Policy), so it is
// done here instead. A browser that runs a module script supports ES modules,
// which is exactly what the 'noModule' test checks, so the class is added
// unconditionally. initAll() checks for this class (isSupported) and does
// nothing without it.
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')

initAll()
