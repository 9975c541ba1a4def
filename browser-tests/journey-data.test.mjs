// Journey (issue 6, data in and out): a primary school's SENCO opens the school census SEN
// return from the register, types a date the wrong way round and is told how to write it
// (keeping what was typed), then sees the return for a January census date with its counts
// and downloads; the school's administrator imports two new pupils from an MIS CSV export:
// a file with a bad date of birth is shown with its problem by row and column and imports
// nothing, the corrected file is previewed (two new pupils) and confirmed, and the pupils are
// on the school's list. Run with JavaScript on (axe on every page, no page errors) and off,
// each pass with its own two children.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

/** The SENCO and the school administrator of a primary school. */
function primaryStaff (accounts) {
  for (const senco of accounts.filter(a => a.role === 'senco' && /Primary/.test(a.school_name || ''))) {
    const admin = accounts.find(a => a.role === 'school_admin' && a.school_urn === senco.school_urn)
    if (admin) return { senco, admin }
  }
  throw new Error('the demo data has no primary school with a SENCO and a school administrator')
}

/** A UPN for the 12 characters after the check letter (REFERENCE.md §6: weights 2 to 13,
 * remainder modulo 23, letters without I, O and S). */
function upn (twelve) {
  const sum = [...twelve].reduce((acc, d, i) => acc + Number(d) * (i + 2), 0)
  return 'ABCDEFGHJKLMNPQRTUVWXYZ'[sum % 23] + twelve
}

/** An MIS export of two pupils (Windows line ends, as MIS exports write them). */
function misExport (surname, serials, dobOfFirst) {
  return Buffer.from([
    'UPN,Legal Surname,Forename,DOB,Gender,Year,Reg Group',
    `${upn(`8862148269${serials[0]}`)},${surname},Ottoline,${dobOfFirst},F,3,`,
    `${upn(`8862148269${serials[1]}`)},${surname},Peregrine,14/02/2019,M,3,`
  ].join('\r\n') + '\r\n')
}

describe('journey: census return and pupil import', () => {
  let senco

  before(async () => {
    senco = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await senco?.stop()
  })

  for (const javaScriptEnabled of [true, false]) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'
    const surname = javaScriptEnabled ? 'Quarrington' : 'Quellingham'
    const serials = javaScriptEnabled ? ['01', '02'] : ['03', '04']

    test(`the census return and a pupil import (${mode})`, { timeout: 240_000 }, async () => {
      const { senco: sencoAccount, admin } = primaryStaff(senco.accounts)
      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async label => { if (javaScriptEnabled) await checkAccessibility(page, `data-${label}-js`) }

      try {
        await step(page, `${mode} the SENCO's census return`, async () => {
          await signIn(page, sencoAccount)
          await page.goto('/register')
          await page.getByRole('link', { name: 'School census SEN return' }).click()
          await page.waitForURL(url => url.pathname === '/census')
          await page.getByRole('heading', { name: 'School census SEN return', level: 1 }).waitFor()
          await a11y('census')
          await page.getByLabel('Census date').fill('21/01/2027')
          await page.getByRole('button', { name: 'Show the return' }).click()
          await page.locator('.govuk-error-summary').waitFor()
          assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter the census date as a real date/)
          assert.equal(await page.getByLabel('Census date').inputValue(), '21/01/2027', 'what was typed is kept')
          await a11y('census-error')
          await page.getByLabel('Census date').fill('2027-01-21')
          await page.getByRole('button', { name: 'Show the return' }).click()
          await page.getByRole('heading', { name: 'The return for 21 January 2027' }).waitFor()
          const counts = page.locator('table', { hasText: 'Pupils by SEN provision code' })
          assert.match(await counts.innerText(), /All pupils on roll/)
          assert.equal(await page.getByRole('link', { name: 'Download the return (CSV)' }).getAttribute('href'), '/census.csv?date=2027-01-21')
          assert.equal(await page.getByRole('link', { name: /Download the return \(XML/ }).getAttribute('href'), '/census.xml?date=2027-01-21')
          await page.getByRole('heading', { name: 'Problems to fix before the census' }).waitFor()
          await a11y('census-return')
          await page.getByRole('button', { name: 'Sign out' }).click()
          await page.waitForURL(url => url.pathname === '/sign-in')
        })

        await step(page, `${mode} a file with a problem imports nothing`, async () => {
          await signIn(page, admin)
          await page.goto('/pupils')
          await page.getByRole('link', { name: 'Import pupils from a file' }).click()
          await page.waitForURL(url => url.pathname === '/pupils/import')
          await a11y('import-upload')
          await page.getByLabel('CSV file').setInputFiles({ name: 'mis-export.csv', mimeType: 'text/csv', buffer: misExport(surname, serials, '31/02/2019') })
          await page.getByRole('button', { name: 'Upload and check' }).click()
          const problems = page.getByRole('table', { name: 'Problems to fix in the file' })
          await problems.waitFor()
          const row = await problems.getByRole('row', { name: /31\/02\/2019/ }).innerText()
          assert.match(row, /^2\s+DOB\s+31\/02\/2019\s+Not a real date/)
          assert.equal(await page.getByRole('button', { name: 'Import pupils' }).count(), 0, 'nothing to confirm while a problem remains')
          await a11y('import-problems')
        })

        await step(page, `${mode} the corrected file is previewed and imported`, async () => {
          await page.goto('/pupils/import')
          await page.getByLabel('CSV file').setInputFiles({ name: 'mis-export.csv', mimeType: 'text/csv', buffer: misExport(surname, serials, '03/09/2018') })
          await page.getByRole('button', { name: 'Upload and check' }).click()
          await page.getByRole('heading', { name: 'What will change' }).waitFor()
          assert.match(await page.locator('main').innerText(), /New pupils\s*2/)
          await a11y('import-preview')
          await page.getByRole('button', { name: 'Import pupils' }).click()
          await page.getByRole('heading', { name: 'Pupils imported' }).waitFor()
          await a11y('import-done')
          // The search is a POST form (search terms never go into URLs).
          await page.goto('/pupils')
          await page.getByLabel('Name or UPN', { exact: true }).fill(surname)
          await page.getByRole('button', { name: 'Search', exact: true }).click()
          await page.locator('table').waitFor()
          const list = await page.locator('main').innerText()
          assert.match(list, new RegExp(`${surname}, Ottoline`))
          assert.match(list, new RegExp(`${surname}, Peregrine`))
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  }
})
